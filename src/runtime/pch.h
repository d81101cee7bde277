// Precompiled header of the torch-linked targets: the narrow libtorch headers most runtime
// files use. Keep <torch/torch.h> out; it alone costs close to a minute per file on 2 cores.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
