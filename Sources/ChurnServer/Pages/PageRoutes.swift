import ChurnReport
import Foundation
import Hummingbird
import NIOCore

/// The HTML pages and their static files.
struct PageRoutes {
    let dashboard: Dashboard

    func register(on router: Router<DashboardContext>) {
        router.get("/") { _, _ in
            PageLayout.page(title: "Upload", active: "upload",
                            body: HomePage.render(latest: try dashboard.runs(limit: 10), maxUpload: dashboard.configuration.maxUploadBytes))
        }
        router.get("/runs") { request, _ in
            let input = request.uri.queryParameters.get("input")
            return PageLayout.page(title: "Runs", active: "runs", body: RunsPage.render(try dashboard.runs(limit: 200), input: input))
        }
        router.get("/runs/{id}") { request, context in
            guard let run = try run(context) else { return PageLayout.problem(.notFound, "There is no such run.") }
            let top = request.uri.queryParameters.get("top", as: Int.self).map { max(0, $0) }
            return PageLayout.page(title: "Run \(run.id)", active: "runs", body: RunPage.render(run, top: top, changes: try dashboard.changes(run)))
        }
        router.get("/runs/{id}/customers") { request, context in
            guard let run = try run(context) else { return PageLayout.problem(.notFound, "There is no such run.") }
            guard run.status == .succeeded else { return PageLayout.problem(.conflict, "Run \(run.id) is \(run.status.rawValue): no customers to show.") }
            let query: CustomerTable.Query
            do { query = try CustomerTable.parse(APIRoutes.parameters(request)) } catch { return PageLayout.problem(.badRequest, "\(error)") }
            let page: CustomerTable.Page
            do { page = try CustomerTable.page(dashboard.store, runId: run.id, query) } catch let error as QueryError {
                return PageLayout.problem(.badRequest, "\(error)")
            }
            let interventions = try dashboard.store.interventions(runId: run.id)
            return PageLayout.page(title: "Customers of run \(run.id)", active: "runs",
                                   body: CustomersPage.render(run: run, query: query, page: page, interventions: interventions))
        }
        router.get("/customers/{id}") { _, context in
            let id = try DashboardContext.customerId(context)
            let history = try dashboard.store.history(customerId: id)
            guard !history.isEmpty else { return PageLayout.problem(.notFound, "No scored customer has this id.") }
            let offers = try dashboard.offerDesk.outbox().list(customerId: id)
            return PageLayout.page(title: "Customer \(id)", active: "runs",
                                   body: CustomerPage.render(id: id, history: history, offers: offers, canDeliver: dashboard.offerDesk.canDeliver,
                                                             sender: dashboard.offerDesk.draftSender(model: dashboard.configuration.model.email)))
        }
        router.get("/cluster") { _, _ in
            PageLayout.page(title: "Cluster", active: "cluster", body: ClusterPage.render(dashboard.jobs.pool()))
        }
        for (name, asset) in StaticAssets.all {
            router.get("/static/\(name)") { _, _ in
                Response(status: .ok, headers: [.contentType: asset.type, .cacheControl: "public, max-age=300"],
                         body: .init(byteBuffer: ByteBuffer(string: asset.text)))
            }
        }
    }

    private func run(_ context: DashboardContext) throws -> RunView? {
        guard let id = Int64(try context.parameters.require("id")) else { return nil }
        return try dashboard.run(id)
    }
}
