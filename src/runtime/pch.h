// Precompiled header of the torch-linked targets. <ATen/ATen.h> costs about 6 s per file here,
// paid once through this header; <torch/torch.h> (close to a minute) stays out.
#pragma once

#include <ATen/ATen.h>
