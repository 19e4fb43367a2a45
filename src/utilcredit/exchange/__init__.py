"""Exchange with the public credit platform (报送): the catalog's data items, exports that
stream the credit file into them, the checks the platform makes, and submission batches."""
