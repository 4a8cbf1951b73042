"""The JSON API: bearer-token access for leads, and public read of open statements."""
