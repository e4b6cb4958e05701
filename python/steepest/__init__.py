"""steepest"""
