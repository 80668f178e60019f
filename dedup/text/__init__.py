"""Text preparation: boilerplate stripping, language identification, sentence splitting."""
