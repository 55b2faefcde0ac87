"""One line of facts about the model, the connection and the running turn."""
