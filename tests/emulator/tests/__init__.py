"""Tests of the CircleCI API v1.1 emulator."""
