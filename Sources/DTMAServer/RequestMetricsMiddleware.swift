import DTMACore
import Hummingbird

/// Counts every API request and times it, by route template (never by tool name or path).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: DTMAMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        // Hummingbird sets the matched route's template while routing; unknown paths have none.
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - started)
        return response
    }
}
