"""Screen, camera and video-file sharing: frames captured at a steady rate, scaled to what
the provider looks at, encoded as JPEG and handed to whoever sends them (a Live session
streams them; Realtime and HTTP turns take the latest with each user turn).

The libraries (mss, PyAV, Pillow) load only when a share starts.
"""

from rtchat.share.frames import Frame, ScaleRule
from rtchat.share.limits import DEFAULT_FPS, ShareLimits, limits_for, share_note, share_refusal
from rtchat.share.request import Region, ShareError, ShareRequest, parse_share
from rtchat.share.sharing import Sharing, frames, source_for
from rtchat.share.video import Camera, list_cameras

__all__ = ["DEFAULT_FPS", "Camera", "Frame", "Region", "ScaleRule", "ShareError", "ShareLimits", "ShareRequest", "Sharing", "frames", "limits_for", "list_cameras", "parse_share", "share_note", "share_refusal", "source_for"]
