"""Optional TOTP two-factor authentication (RFC 6238), required for admins when the setting says
so. ``totp`` is the algorithm, ``services`` changes devices and recovery codes, ``login`` holds
the pending second step of a log-in, ``middleware`` enforces it on every page."""
