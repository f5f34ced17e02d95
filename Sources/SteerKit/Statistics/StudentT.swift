#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Student's t distribution: its CDF through the regularized incomplete beta function and
/// its exact quantile by bisection, for confidence intervals of small samples (20 runs, or
/// 3) where 1.96 would be far too narrow.
public enum StudentT {
    /// P(T ≤ t) for `degreesOfFreedom` > 0.
    public static func cdf(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite else { return t > 0 ? 1 : 0 }
        let tail = upperTail(abs(t), df)
        return t >= 0 ? 1 - tail : tail
    }

    /// P(T > t) for t ≥ 0: ½·I_{df/(df+t²)}(df/2, ½). Kept apart from `cdf` so that the
    /// quantile of a small tail is found without the cancellation of 1 − cdf.
    static func upperTail(_ t: Double, _ df: Double) -> Double {
        0.5 * regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
    }

    /// The t with P(T ≤ t) = `p`, for 0 < p < 1 and `degreesOfFreedom` > 0
    /// (quantile(0.975, 19) = 2.0930). NaN outside that domain.
    public static func quantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        guard p > 0, p < 1, df > 0, df.isFinite else { return .nan }
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: df) }
        let tail = 1 - p
        // The upper tail falls as t grows: bracket the root, then halve the bracket until
        // it stops shrinking (about 60 steps for double precision).
        var lo = 0.0
        var hi = 1.0
        while upperTail(hi, df) > tail {
            lo = hi
            hi *= 2
            if hi > 1e300 { return .infinity }
        }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid <= lo || mid >= hi { break }
            if upperTail(mid, df) > tail { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// The regularized incomplete beta function I_x(a, b), a, b > 0, 0 ≤ x ≤ 1, by its
    /// continued fraction (modified Lentz), on whichever side converges fast.
    public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        let front = exp(logFront)
        if x < (a + 1) / (a + b + 2) {
            return front * betaContinuedFraction(x, a: a, b: b) / a
        }
        return 1 - front * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    /// The continued fraction of I_x(a, b) (Numerical Recipes' betacf, Lentz's method).
    static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }
}

/// A mean with the half-width of its 95% confidence interval: t(0.975, n−1)·s/√n, with s
/// the sample standard deviation (n−1 in the denominator).
public struct Estimate: Equatable, Sendable {
    public var mean: Double
    /// Half-width of the 95% confidence interval; nil with fewer than two values.
    public var ci: Double?
    /// How many values the mean is over.
    public var count: Int

    public init(mean: Double, ci: Double?, count: Int) {
        self.mean = mean; self.ci = ci; self.count = count
    }

    /// The estimate of `values`; nil when there are none.
    public init?(_ values: [Double], confidence: Double = 0.95) {
        guard !values.isEmpty else { return nil }
        let n = Double(values.count)
        var sum = 0.0
        for v in values { sum += v }
        let mean = sum / n
        self.mean = mean
        count = values.count
        guard values.count >= 2 else {
            ci = nil
            return
        }
        // Two passes: the deviations from the mean, not the difference of large squares.
        var squares = 0.0
        for v in values { squares += (v - mean) * (v - mean) }
        let s = (squares / (n - 1)).squareRoot()
        let t = StudentT.quantile(1 - (1 - confidence) / 2, degreesOfFreedom: n - 1)
        ci = t * s / n.squareRoot()
    }

    /// Both the mean and the half-width divided by `divisor` (normalizing to a baseline).
    public func divided(by divisor: Double) -> Estimate {
        Estimate(mean: mean / divisor, ci: ci.map { $0 / divisor }, count: count)
    }
}
