"""Voice sessions: push-to-talk, barge-in, and the link to a voice-capable model.

`VoiceSession` (voice/session.py) is what the TUI binds to; the pieces it is
made of are pure where they can be (ptt.py here; what the server is told and
what it said live in the wire's protocol objects) so they are tested
without sound cards or sockets.
"""
