import Foundation

/// L2-regularized logistic regression solved by Newton's method (IRLS) with a backtracking line search.
///
/// Minimizes Σᵢ log(1 + e^{zᵢ}) − yᵢ zᵢ + ‖w‖² / (2C) with z = b + X w: the objective of scikit-learn's
/// `LogisticRegression(C=C)` (intercept not penalized).
public struct LogisticRegression: Sendable {
    public var C: Double
    public var maxIterations: Int
    /// Stop when the largest gradient component is below this (the objective is a sum over rows).
    public var gradientTolerance: Double

    public init(C: Double = 1.0, maxIterations: Int = 100, gradientTolerance: Double = 1e-10) {
        self.C = C
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
    }

    /// The fitted intercept and weights.
    public struct Fit: Sendable {
        public var intercept: Double
        public var weights: [Double]
        public var iterations: Int
        public var converged: Bool
    }

    /// Fits on a row-major design matrix `x` (n × d) and labels `y`.
    public func fit(x: [Double], rows n: Int, columns d: Int, y: [Bool]) -> Fit {
        precondition(x.count == n * d && y.count == n)
        let p = d + 1  // parameter 0 is the intercept
        let lambda = 1 / C
        var beta = [Double](repeating: 0, count: p)
        var converged = false
        var iterations = 0

        func objective(_ b: [Double]) -> Double {
            var f = 0.0
            for i in 0..<n {
                var z = b[0]
                for j in 0..<d { z += x[i * d + j] * b[j + 1] }
                // log(1 + e^z) computed stably.
                f += (z > 0 ? z + Foundation.log1p(Foundation.exp(-z)) : Foundation.log1p(Foundation.exp(z))) - (y[i] ? z : 0)
            }
            for j in 1..<p { f += 0.5 * lambda * b[j] * b[j] }
            return f
        }

        var current = objective(beta)
        while iterations < maxIterations {
            iterations += 1
            var gradient = [Double](repeating: 0, count: p)
            var hessian = [Double](repeating: 0, count: p * p)
            var row = [Double](repeating: 1, count: p)
            for i in 0..<n {
                var z = beta[0]
                for j in 0..<d {
                    row[j + 1] = x[i * d + j]
                    z += row[j + 1] * beta[j + 1]
                }
                let mu = 1 / (1 + Foundation.exp(-z))
                let r = mu - (y[i] ? 1 : 0)
                let w = mu * (1 - mu)
                for a in 0..<p {
                    gradient[a] += r * row[a]
                    let wa = w * row[a]
                    for b in a..<p { hessian[a * p + b] += wa * row[b] }
                }
            }
            for a in 0..<p { for b in 0..<a { hessian[a * p + b] = hessian[b * p + a] } }
            for j in 1..<p {
                gradient[j] += lambda * beta[j]
                hessian[j * p + j] += lambda
            }
            if gradient.map(abs).max()! < gradientTolerance * Double(max(n, 1)) {
                converged = true
                break
            }
            guard let step = Self.solveSymmetric(hessian, gradient, size: p) else { break }
            var t = 1.0
            var next = beta
            var accepted = false
            for _ in 0..<50 {
                for j in 0..<p { next[j] = beta[j] - t * step[j] }
                let value = objective(next)
                if value <= current { current = value; accepted = true; break }
                t *= 0.5
            }
            if !accepted { converged = true; break }  // no further decrease possible: at the optimum to machine precision
            beta = next
        }
        return Fit(intercept: beta[0], weights: Array(beta[1...]), iterations: iterations, converged: converged)
    }

    /// Solves A x = b for symmetric positive-definite A by Cholesky factorization.
    static func solveSymmetric(_ a: [Double], _ b: [Double], size n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = b[i]
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<n { s -= l[k * n + i] * x[k] }
            x[i] = s / l[i * n + i]
        }
        return x
    }
}
