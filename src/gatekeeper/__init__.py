"""gatekeeper: a Git-native release gate."""
