"""What each listing brings its provider, and the network's dashboard for staff."""
