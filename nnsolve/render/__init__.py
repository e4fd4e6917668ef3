"""Renderers: one module per output format. Each reads a Solution and nothing else."""
