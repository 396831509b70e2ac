// The VAE's reparameterisation and KL term. Prepend: shaders/common/step.wgsl, shaders/common/rng.wgsl.
//
// Row r, latent unit j of a [R, Z] batch, with s = log σ² (the logvar head):
//   ε_rj = normal(seed, STREAM_VAE_EPS, step, (batch_offset + r)·Z + j)
//   z_rj = μ_rj + exp(½ s_rj) · ε_rj                                  (vae_sample)
//   KL_r = −½ Σ_j (1 + s_rj − μ_rj² − exp(s_rj))                       (vae_kl_rows)
// The objective adds β_t · (1/V) Σ_{r<V} KL_r, β_t = β · min(1, step / warmup)
// (β when warmup = 0), so with dz = ∂L/∂z from the decoder (already 1/V-scaled):
//   ∂L/∂μ_rj = dz_rj + (β_t/V) μ_rj
//   ∂L/∂s_rj = dz_rj ε_rj ½ exp(½ s_rj) + (β_t/V) ½ (exp(s_rj) − 1)    (vae_backward)
// ε is recomputed from the hash in the backward pass instead of being stored.
// Rows r ≥ valid_rows are padding: KL_r = 0 and their gradients are 0.
// ε is drawn in evaluation too, so a held-out pass estimates the ELBO exactly
// as a training pass does (as in the PyTorch example's test loss).

override WG: u32 = 64u;

struct Params {
  rows: u32,
  latent: u32,
  beta: f32,
  warmup: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;

fn vae_eps(r: u32, j: u32) -> f32 {
  return rng_normal(step.seed, STREAM_VAE_EPS, step.step, (step.batch_offset + r) * params.latent + j);
}

// β_t: the KL weight at this step.
fn kl_weight() -> f32 {
  if (params.warmup == 0u) { return params.beta; }
  return params.beta * min(1.0, f32(step.step) / f32(params.warmup));
}

@group(0) @binding(2) var<storage, read> mu: array<f32>;
@group(0) @binding(3) var<storage, read> logvar: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;

// Grid (ceil(Z / WG), R).
@compute @workgroup_size(WG)
fn vae_sample(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let r = gid.y;
  if (j >= params.latent || r >= params.rows) { return; }
  let k = r * params.latent + j;
  z[k] = mu[k] + exp(0.5 * logvar[k]) * vae_eps(r, j);
}

// vae_kl_rows binds the per-row KL at binding 4.
@group(0) @binding(4) var<storage, read_write> row_kl: array<f32>;

// Grid (ceil(R / WG)): one invocation per row (Z is small).
@compute @workgroup_size(WG)
fn vae_kl_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= params.rows) { return; }
  var kl = 0.0;
  if (r < step.valid_rows) {
    for (var j = 0u; j < params.latent; j++) {
      let k = r * params.latent + j;
      let s = logvar[k];
      kl += -0.5 * (1.0 + s - mu[k] * mu[k] - exp(s));
    }
  }
  row_kl[r] = kl;
}

// vae_backward: dz (read) at binding 4, and the two head gradients.
@group(0) @binding(4) var<storage, read> dz: array<f32>;
@group(0) @binding(5) var<storage, read_write> dmu: array<f32>;
@group(0) @binding(6) var<storage, read_write> dlogvar: array<f32>;

// Grid (ceil(Z / WG), R).
@compute @workgroup_size(WG)
fn vae_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let r = gid.y;
  if (j >= params.latent || r >= params.rows) { return; }
  let k = r * params.latent + j;
  if (r >= step.valid_rows) {
    dmu[k] = 0.0;
    dlogvar[k] = 0.0;
    return;
  }
  let w = kl_weight() * step.inv_rows;
  let sigma = exp(0.5 * logvar[k]);
  dmu[k] = dz[k] + w * mu[k];
  dlogvar[k] = dz[k] * vae_eps(r, j) * 0.5 * sigma + w * 0.5 * (sigma * sigma - 1.0);
}
