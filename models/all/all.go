package all

import (
	_ "dinv/models/mnist"
	_ "dinv/models/regression"
)
