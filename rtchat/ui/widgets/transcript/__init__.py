"""The conversation on screen: messages, streamed Markdown, thinking panels, past conversations."""
