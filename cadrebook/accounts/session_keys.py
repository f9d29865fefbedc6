"""What the accounts app keeps in a browser session, named once."""

# The user who gave the right password and still owes the second factor: {"user", "backend",
# "at" (epoch seconds), "next"}. Nobody is signed in until the code is right.
PENDING_SIGN_IN = "cadrebook_pending_sign_in"
# Set at sign-in when an administrator gave the user a temporary password.
MUST_CHANGE_PASSWORD = "cadrebook_must_change_password"
# Epoch seconds of the sign-in and of the last request noted (at most once a minute).
SIGNED_IN_AT = "cadrebook_signed_in_at"
LAST_SEEN = "cadrebook_last_seen"
# Set on the fresh session after a sign-out for inactivity, so the sign-in page says why.
TIMED_OUT = "cadrebook_timed_out"
# The secret of an authenticator app being set up (hex), until the user confirms a code.
ENROLMENT_KEY = "cadrebook_enrolment_key"
# Epoch seconds when a session that has not shown a second factor was last checked against
# the user's devices (an app set up since, elsewhere, signs it out).
SECOND_FACTOR_CHECKED = "cadrebook_second_factor_checked"
