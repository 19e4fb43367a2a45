"""Supervision (分级分类监管): the credit office's monthly figures per utility."""
