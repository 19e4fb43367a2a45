"""Credit commitments (信用承诺制): letters on versioned templates and the duties they create."""
