"""Spark jobs and entry points of the retail generator."""
