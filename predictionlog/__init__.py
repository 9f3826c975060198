"""The prediction log: every prediction served and every label received, in one SQL database."""
