"""Microphone capture, playback, resampling and aiortc track adapters.

numpy, sounddevice and aiortc cost ~300 ms to import, so nothing outside voice
mode imports the modules that use them; those import them at module level because
importing one of them already means voice is in use. `native_stderr` (the os
module only) guards the screen from ALSA's stderr for the whole app's run.
"""
