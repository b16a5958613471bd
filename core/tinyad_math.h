// tinyad_math.h: the few math functions the core needs, written with plain
// arithmetic so the same code runs where no C math library exists (the RISC-V
// cross toolchain ships none). Templates for float (microcontroller) and
// double (host). Accuracy: a few ulp, enough to reproduce numpy to 1e-12.
// Avoids: <math.h>, bit casts, lookup tables.
#ifndef TINYAD_MATH_H
#define TINYAD_MATH_H

template <typename T>
inline bool tinyad_isfinite(T x) {
  // NaN fails x == x; +-inf gives inf - inf = NaN.
  return x == x && (x - x) == (x - x);
}

template <typename T>
inline T tinyad_abs(T x) {
  return x < T(0) ? -x : x;
}

template <typename T>
inline T tinyad_quiet_nan() {
  T zero = T(0);
  return zero / zero;
}

/// Square root by range reduction to [0.25, 1) and Newton's iteration.
template <typename T>
inline T tinyad_sqrt(T x) {
  if (!(x > T(0))) return x == T(0) ? T(0) : tinyad_quiet_nan<T>();
  if (!tinyad_isfinite(x)) return x;
  T m = x;
  T scale = T(1);
  // Coarse steps of 4^16 keep extreme exponents cheap; exact in binary FP.
  while (m >= T(4294967296.0)) { m *= T(1.0 / 4294967296.0); scale *= T(65536.0); }
  while (m < T(1.0 / 4294967296.0)) { m *= T(4294967296.0); scale *= T(1.0 / 65536.0); }
  while (m >= T(1)) { m *= T(0.25); scale *= T(2); }
  while (m < T(0.25)) { m *= T(4); scale *= T(0.5); }
  T y = T(0.41731) + T(0.59016) * m;  // linear fit of sqrt on [0.25, 1)
  for (int i = 0; i < 5; ++i) y = T(0.5) * (y + m / y);
  return y * scale;
}

/// Natural logarithm: x = m * 2^k with m in [sqrt(1/2), sqrt(2)), then
/// log(m) = 2 atanh((m-1)/(m+1)) by its series. Returns NaN for x < 0 and a
/// large negative number for 0.
template <typename T>
inline T tinyad_log(T x) {
  const T ln2 = T(0.69314718055994530942);
  if (x < T(0) || x != x) return tinyad_quiet_nan<T>();
  if (x == T(0)) return T(-1e30);
  if (!tinyad_isfinite(x)) return x;
  T m = x;
  int k = 0;
  while (m >= T(4294967296.0)) { m *= T(1.0 / 4294967296.0); k += 32; }
  while (m < T(1.0 / 4294967296.0)) { m *= T(4294967296.0); k -= 32; }
  while (m >= T(1.41421356237309505)) { m *= T(0.5); ++k; }
  while (m < T(0.70710678118654752)) { m *= T(2); --k; }
  const T s = (m - T(1)) / (m + T(1));  // |s| <= 0.172
  const T s2 = s * s;
  T term = s;
  T sum = s;
  for (int i = 3; i <= 27; i += 2) {
    term *= s2;
    sum += term / T(i);
  }
  return T(2) * sum + T(k) * ln2;
}

/// sin and cos of an angle in [0, pi] (all the core needs: FFT twiddles and
/// the Hann window). Reduced to [0, pi/4] by symmetry, then Taylor series.
template <typename T>
inline void tinyad_sincos(T angle, T* s, T* c) {
  const T pi = T(3.14159265358979323846);
  const T half_pi = T(1.57079632679489661923);
  const T quarter_pi = T(0.78539816339744830962);
  T x = angle;
  T cos_sign = T(1);
  if (x > half_pi) {  // sin(x) = sin(pi - x), cos(x) = -cos(pi - x)
    x = pi - x;
    cos_sign = T(-1);
  }
  bool swap = false;
  if (x > quarter_pi) {  // sin(x) = cos(pi/2 - x)
    x = half_pi - x;
    swap = true;
  }
  const T x2 = x * x;
  T sin_term = x, sin_sum = x;
  T cos_term = T(1), cos_sum = T(1);
  for (int i = 1; i <= 10; ++i) {
    sin_term *= -x2 / (T(2 * i) * T(2 * i + 1));
    sin_sum += sin_term;
    cos_term *= -x2 / (T(2 * i - 1) * T(2 * i));
    cos_sum += cos_term;
  }
  *s = swap ? cos_sum : sin_sum;
  *c = cos_sign * (swap ? sin_sum : cos_sum);
}

#endif  // TINYAD_MATH_H
