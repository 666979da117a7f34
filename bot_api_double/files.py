"""Files: what the bot uploads (sendPhoto, sendDocument), getFile, and downloading a file
from the file URL, as Telegram serves them (bots fetch up to 20 MB)."""

from __future__ import annotations

from aiohttp import web

from bot_api_double.errors import ApiError
from bot_api_double.messages import MessagesMixin
from bot_api_double.model import JSON, TOKEN_RE, BotState, Params, Upload

BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024


class FilesMixin(MessagesMixin):
    """sendPhoto, sendDocument, getFile and the file download route."""

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if TOKEN_RE.match(token) is None or token in self._revoked:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1].split(".", 1)[0]
        upload = self._files.get(file_id)
        if upload is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=upload.data, content_type=upload.content_type or "application/octet-stream"
        )

    def _send_media(self, state: BotState, params: Params, kind: str) -> JSON:
        chat_id = params.chat_id()
        assert chat_id is not None
        upload, ref = params.file(kind)
        if upload is None and not ref:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption, fields = self._text_fields(params, "caption", 1024, required=False)
        markup = self._markup(params)
        if upload is not None:
            file_id = self._store_file(upload)
            size = len(upload.data)
        else:
            assert ref is not None
            file_id = ref if ref in self._files else self._store_file(Upload(None, None, b""))
            size = len(self._files[file_id].data)
        if kind == "photo":
            fields["photo"] = [
                {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "width": 800,
                    "height": 600,
                    "file_size": size,
                }
            ]
        else:
            doc: JSON = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size}
            if upload is not None and upload.filename:
                doc["file_name"] = upload.filename
            if upload is not None and upload.content_type:
                doc["mime_type"] = upload.content_type
            fields["document"] = doc
        return self._post(
            state,
            params,
            chat_id,
            fields,
            markup,
            method="sendPhoto" if kind == "photo" else "sendDocument",
            text=caption,
            entities=params.obj("caption_entities"),
            photo=upload.data if upload is not None and kind == "photo" else None,
            document=upload.data if upload is not None and kind == "document" else None,
            filename=upload.filename if upload is not None else None,
            mime_type=upload.content_type if upload is not None else None,
            file_ref=ref,
        )

    def _m_send_photo(self, state: BotState, params: Params) -> JSON:
        return self._send_media(state, params, "photo")

    def _m_send_document(self, state: BotState, params: Params) -> JSON:
        return self._send_media(state, params, "document")

    def _m_get_file(self, state: BotState, params: Params) -> JSON:
        file_id = params.string("file_id") or ""
        upload = self._files.get(file_id)
        if upload is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(upload.data) > BOT_DOWNLOAD_LIMIT:  # as Telegram: bots fetch up to 20 MB
            raise ApiError(400, "Bad Request: file is too big")
        ext = ""
        if upload.filename and "." in upload.filename:
            ext = "." + upload.filename.rsplit(".", 1)[1]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(upload.data),
            "file_path": f"files/{file_id}{ext}",
        }

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes of a stored file (one the bot uploaded or a user sent)."""
        return self._files[file_id].data

