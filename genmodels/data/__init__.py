"""Training pictures: safe decoding of untrusted files, zip archives, datasets (folders, zips, arrays),
duplicate detection."""
