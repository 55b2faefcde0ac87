"""Microphone capture, playback, resampling and aiortc track adapters.

numpy, sounddevice and aiortc cost ~300 ms to import, so nothing outside voice
mode imports this package; its modules import them at module level because
importing one of them already means voice is in use.
"""
