"""One module per network library, each declaring ``LIBRARY`` (or ``LIBRARIES``): adding a
library is adding a module here, with its fixture under ``tests/fixtures/libraries/``."""
