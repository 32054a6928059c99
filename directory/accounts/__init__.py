"""Accounts of the directory's people: providers' members and network staff."""
