"""`rtchat ask --share-screen` / `--share-file FILE --frames N`: frames before the prompt.

For scripts and benchmarks: the share starts, N frames go to the model (a Live session
streams them; every other wire takes the latest frame with the prompt, as an image
attachment the history keeps), the share stops, then the prompt is sent.
"""

from __future__ import annotations

import os

from rtchat.attachments import Attachment
from rtchat.conversation import Conversation
from rtchat.session import Session
from rtchat.share import ShareError, ShareRequest, parse_share
from rtchat.target import Target


def wants_share(args) -> bool:
    return bool(args.share_screen or args.share_file)


async def share_before_prompt(session: Session, target: Target, protocol: str, conversation: Conversation, args) -> list[Attachment]:
    """Share until `--frames` frames went out; the frame the prompt carries (none over Live).
    ShareError (one line) when the model, the protocol or the source cannot."""
    if args.frames < 1:
        raise ShareError(f"--frames must be 1 or more (got {args.frames})")
    if args.share_screen:
        request = parse_share(f"screen {args.screen_area or ''}".strip())
    elif os.path.isfile(args.share_file):
        request = ShareRequest("file", path=args.share_file)
    else:
        raise ShareError(f"--share-file {args.share_file}: no such file (share a video file)")
    sharing = await session.start_share(request, target, protocol, conversation, fps=args.share_fps)
    try:
        if session.share_streams:  # Live: the frames themselves are the input
            await sharing.until(lambda s: s.frames_sent >= args.frames)
            return []
        await sharing.until(lambda s: s.frames_captured >= args.frames)
        frame = session.frame_for_turn()
        return [frame] if frame is not None else []
    finally:
        await session.stop_share()
