"""Built-in plugins: registered like third-party ones, using only the hook API."""
