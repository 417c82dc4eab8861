"""The Slack app over HTTP: a slash command and mentions, answered in the background."""
