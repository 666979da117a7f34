"""What runcoach renders from stored data, with no Telegram and no SQL: the words for
progression's codes (labels, reasons, sessions, referrals), the /progress chart, the
clinician's PDF report and the CSV export. Data in, text or bytes out."""
