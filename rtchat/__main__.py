from rtchat.cli import entry

entry()
