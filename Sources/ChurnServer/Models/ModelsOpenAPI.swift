/// The model registry's part of the OpenAPI document (merged into `OpenAPIDocument.document`).
enum ModelsOpenAPI {
    private static func json(_ schema: [String: Any], _ description: String) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }
    nonisolated(unsafe) private static let error: [String: Any] = json(["$ref": "#/components/schemas/Error"], "An error, with a message naming what was wrong")
    nonisolated(unsafe) private static let version: [String: Any] = ["name": "version", "in": "path", "required": true, "schema": ["type": "integer"]]
    nonisolated(unsafe) private static let versionList: [String: Any] = json(["type": "array", "items": ["type": "object", "properties": [
        "version": ["type": "integer"], "hash": ["type": "string"], "champion": ["type": "boolean"], "auc": ["type": "number"],
        "log_loss": ["type": "number"], "accuracy": ["type": "number"], "pr_auc": ["type": "number"], "brier": ["type": "number"],
        "rows": ["type": "integer"], "training_file": ["type": "string"], "trained_at": ["type": "string"],
        "registered_at": ["type": "string", "format": "date-time"], "source": ["type": "string"], "metrics_kind": ["type": "string"]]]],
        "Registered models, oldest first (as churn models list --json)")

    nonisolated(unsafe) static let paths: [String: Any] = [
        "/api/v1/models": ["get": ["summary": "The model registry", "responses": ["200": versionList]]],
        "/api/v1/models/{version}/promote": ["post": [
            "summary": "Make a registered model the champion (admin)", "parameters": [version],
            "responses": ["200": versionList, "409": error]]],
        "/api/v1/models/rollback": ["post": [
            "summary": "Go back to the previous champion (admin)",
            "responses": ["200": json(["type": "object", "properties": ["from": ["type": "integer"], "to": ["type": "integer"]]], "The champion before and now"),
                          "409": error]]],
        "/api/v1/models/retrain": ["post": [
            "summary": "Train a challenger on a labelled upload, compare it with the champion on the same held-out rows, register it, promote it by the rule (admin)",
            "parameters": [
                ["name": "label", "in": "query", "required": false, "schema": ["type": "string"], "description": "label column (default: the model's)"],
                ["name": "holdout", "in": "query", "required": false, "schema": ["type": "number"], "description": "fraction held out (default 0.2)"],
                ["name": "seed", "in": "query", "required": false, "schema": ["type": "integer"], "description": "seed of the split (default 1)"],
                ["name": "max_auc_drop", "in": "query", "required": false, "schema": ["type": "number"], "description": "default 0"],
                ["name": "max_log_loss_rise", "in": "query", "required": false, "schema": ["type": "number"], "description": "default 0.02"],
            ],
            "requestBody": ["required": true, "content": ["text/csv": ["schema": ["type": "string", "format": "binary"]],
                                                          "multipart/form-data": ["schema": ["type": "object", "properties": ["file": ["type": "string", "format": "binary"]]]]]],
            "responses": ["200": json(["type": "object", "properties": [
                "promoted": ["type": "boolean"], "champion": ["type": "object", "nullable": true], "challenger": ["type": "object"],
                "reasons": ["type": "array", "items": ["type": "string"]]]], "As churn retrain --json"), "400": error, "413": error]]],
    ]
}
