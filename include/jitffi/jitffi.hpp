// jitffi: calls foreign C functions through per-signature machine code. One include for the C++ API.
#pragma once

#include "jitffi/backend.h"
#include "jitffi/function.h"
#include "jitffi/signature.h"
#include "jitffi/types.h"
