"""Tongchuang (同窗) alumni platform."""
