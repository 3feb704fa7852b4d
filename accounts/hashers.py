from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's minimum: 19 MiB of memory, 2 iterations, 1 lane.

    Django's own Argon2 hasher (also argon2id) defaults to 100 MiB and 8 lanes, which on
    a 2-core machine costs more than it buys. The algorithm name stays "argon2", so Django
    re-hashes a stored hash with other parameters at the next login (must_update).
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

