"""The frames' client messages in the providers' own types: google-genai's `LiveClientMessage`
(its models forbid unknown fields) and openai-python's Realtime `ConversationItemCreateEvent`."""

from __future__ import annotations

import json

from rtchat.share import Frame
from rtchat.wire import gemini_live, openai_realtime
from tests.support import lazy_sdks as sdk

JPEG = b"\xff\xd8\xff\xe0 a frame \xff\xd9"


def test_a_live_frame_is_realtime_input_video_as_google_genai_reads_it():
    message = gemini_live.realtime_video(JPEG)
    parsed = sdk.genai.types.LiveClientMessage.model_validate_json(json.dumps(message))
    video = parsed.realtime_input.video
    assert video.data == JPEG and video.mime_type == "image/jpeg"
    assert parsed.realtime_input.media_chunks is None, "not the deprecated field"


def test_a_realtime_frame_is_an_input_image_user_message_as_openai_python_reads_it():
    url = Frame(JPEG, 1, 1, 3, 0.0).attachment().data_url()
    event = sdk.lazy("openai.types.realtime").ConversationItemCreateEvent.model_validate(openai_realtime.image_item(url))
    assert event.type == "conversation.item.create" and event.item.type == "message" and event.item.role == "user"
    [part] = event.item.content
    assert part.type == "input_image" and part.image_url == url and url.startswith("data:image/jpeg;base64,")
