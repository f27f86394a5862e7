// XGBoost's C API for gradient-boosted trees (Debian: libxgboost-dev, 1.7).
#include <xgboost/c_api.h>
