"""(being built)"""
ROUTES: list = []
