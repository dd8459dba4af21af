"""The provider agent: reads GPUs through NVML, signs attestations, posts them."""
