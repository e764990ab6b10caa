"""Twilio's webhooks: ``POST /webhooks/twilio/sms``, ``/status`` and ``/voice``.

No staff token: every request must carry a valid ``X-Twilio-Signature`` over
``PLAINT_PUBLIC_URL`` + path + query and the form parameters (unknown ones included);
a forged, tampered or unsigned request is answered 403 and nothing is stored. Accepted
requests are answered 200 with an empty TwiML document as soon as the item is durable
(triage runs on the queue). The form is parsed here from the raw body (every repeated
name kept, as the signature needs them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from plaint.config.twilio import TwilioSettings
from plaint.errors import MalformedMessageError
from plaint.service.twilio_intake import (
    receive_sms,
    receive_status,
    receive_voice,
    signed_by_twilio,
)
from plaint.web.deps import Context, WebContext

__all__ = ["EMPTY_TWIML", "router"]

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

router = APIRouter(prefix="/webhooks/twilio", tags=["twilio"], include_in_schema=False)

Params = list[tuple[str, str]]


def _settings(context: WebContext) -> TwilioSettings:
    if context.twilio is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return context.twilio


async def _signed_params(request: Request, context: Context) -> Params:
    """The form parameters of a request Twilio signed; 403 otherwise."""
    settings = _settings(context)
    params = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signed_by_twilio(settings, path=request.url.path, query=request.url.query,
                            params=params, signature=signature):  # fmt: skip
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid Twilio signature")
    return params


SignedParams = Annotated[Params, Depends(_signed_params)]


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="application/xml")


def _enqueue(context: WebContext) -> Callable[[int], None]:
    return context.enqueue or (lambda inbox_id: None)


async def _run(call: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(call, **kwargs)
    except MalformedMessageError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, exc.reason) from exc


@router.post("/sms")
async def sms(params: SignedParams, context: Context) -> Response:
    """An incoming SMS/MMS: stored, enqueued, answered with empty TwiML."""
    await _run(receive_sms, sessions=context.writer, settings=_settings(context),
               params=params, now=context.clock(), enqueue=_enqueue(context))  # fmt: skip
    return _twiml()


@router.post("/status")
async def delivery_status(
    params: SignedParams, context: Context, key: Annotated[str, Query(max_length=300)]
) -> Response:
    """A delivery status callback of the message sent for notification ``key``."""
    await _run(receive_status, sessions=context.writer, key=key, params=params,
               now=context.clock())  # fmt: skip
    return _twiml()


@router.post("/voice")
async def voice(params: SignedParams, context: Context) -> Response:
    """A call status, recording or transcription callback."""
    await _run(receive_voice, sessions=context.writer, settings=_settings(context),
               params=params, now=context.clock(), enqueue=_enqueue(context))  # fmt: skip
    return _twiml()
