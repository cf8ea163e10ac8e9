#include "services/http2kafka/service_routes.h"

#include "common/http/monitoring_routes.h"
#include "common/http/swagger_ui.h"

namespace tokengate {
namespace {

constexpr char kOpenApi[] = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "tokengate http2kafka",
    "version": "1.0.0",
    "description": "Receives OpenLineage run events over HTTP (plain or gzip) and writes them to Kafka. Authenticate with a personal token that has the all:write scope: Authorization: Bearer personal_token_..."
  },
  "paths": {
    "/v1/openlineage": {
      "post": {
        "tags": ["OpenLineage"],
        "summary": "API endpoint compatible with OpenLineage HttpTransport",
        "description": "Accepts an OpenLineage run event and writes it to Kafka as received. In the default durable mode, 201 means Kafka has acknowledged the event.",
        "operationId": "send_events_to_kafka",
        "security": [{"HTTPBearer": []}],
        "parameters": [
          {"name": "Content-Encoding", "in": "header", "required": false,
           "schema": {"type": "string", "enum": ["gzip", "identity"]}},
          {"name": "X-Request-ID", "in": "header", "required": false,
           "description": "Echoed back and written to the Kafka message as correlation_id.",
           "schema": {"type": "string", "maxLength": 128}}
        ],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunEvent"}}}
        },
        "responses": {
          "201": {"description": "Accepted (durable mode: acknowledged by Kafka)"},
          "400": {"description": "Unsupported Content-Encoding", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "401": {"description": "Missing, invalid, expired or revoked personal token (when the body is still to come, answered from the request head before it is read, and the connection is closed)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "403": {"description": "The token lacks the all:write scope, is limited to namespaces that job.namespace does not match (the message names it; nothing reaches Kafka), or is used from an address outside its networks (token not allowed from this address)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "413": {"description": "Event larger than the limit once decompressed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "415": {"description": "Content-Type is not application/json", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "422": {"description": "Broken gzip, JSON or RunEvent", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvalidRequestError"}}}},
          "503": {"description": "Kafka or the token authority is unavailable, or too many request bodies are being received at once; see Retry-After", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    },
    "/monitoring/ping": {
      "get": {
        "tags": ["Monitoring"],
        "summary": "Liveness",
        "operationId": "ping",
        "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string", "const": "ok"}}}}}}}
      }
    },
    "/monitoring/ready": {
      "get": {
        "tags": ["Monitoring"],
        "summary": "Readiness: the revocation stream from the token authority is open",
        "operationId": "ready",
        "responses": {"200": {"description": "Ready", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string", "const": "ready"}, "revocation_position": {"type": "integer"}}}}}},
                      "503": {"description": "The revocation stream is down", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
      }
    },
    "/metrics": {
      "get": {
        "tags": ["Monitoring"],
        "summary": "Prometheus metrics",
        "operationId": "metrics",
        "responses": {"200": {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}}}
      }
    }
  },
  "components": {
    "securitySchemes": {
      "HTTPBearer": {"type": "http", "scheme": "bearer", "description": "A personal token: personal_token_..."}
    },
    "schemas": {
      "Job": {
        "type": "object",
        "required": ["namespace", "name"],
        "properties": {"namespace": {"type": "string"}, "name": {"type": "string"}, "facets": {"type": "object"}}
      },
      "ParentRunFacet": {
        "type": "object",
        "required": ["job", "run"],
        "properties": {
          "job": {"$ref": "#/components/schemas/Job"},
          "run": {"type": "object", "required": ["runId"], "properties": {"runId": {"type": "string", "format": "uuid"}}},
          "root": {
            "type": ["object", "null"],
            "required": ["job", "run"],
            "properties": {
              "job": {"$ref": "#/components/schemas/Job"},
              "run": {"type": "object", "required": ["runId"], "properties": {"runId": {"type": "string", "format": "uuid"}}}
            }
          }
        }
      },
      "RunEvent": {
        "type": "object",
        "description": "An OpenLineage RunEvent; fields not listed here are passed on untouched.",
        "required": ["eventTime", "eventType", "run", "job"],
        "properties": {
          "eventTime": {"type": "string", "format": "date-time"},
          "eventType": {"type": "string", "enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
          "producer": {"type": "string"},
          "schemaURL": {"type": "string"},
          "run": {
            "type": "object",
            "required": ["runId"],
            "properties": {
              "runId": {"type": "string", "format": "uuid"},
              "facets": {"type": "object", "properties": {"parent": {"$ref": "#/components/schemas/ParentRunFacet"}}}
            }
          },
          "job": {"$ref": "#/components/schemas/Job"},
          "inputs": {"type": "array", "items": {"type": "object"}},
          "outputs": {"type": "array", "items": {"type": "object"}}
        }
      },
      "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}}
          }
        }
      },
      "InvalidRequestError": {
        "type": "object",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
              "code": {"type": "string", "const": "invalid_request"},
              "message": {"type": "string", "const": "Invalid request"},
              "details": {
                "type": "array",
                "items": {
                  "type": "object",
                  "required": ["location", "code", "message"],
                  "properties": {
                    "location": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "context": {"type": "object"},
                    "input": {}
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
)json";

}  // namespace

const std::string& Http2KafkaOpenApiJson() {
  static const std::string kDocument(kOpenApi);
  return kDocument;
}

void AddServiceRoutes(Router& router, const MetricsRegistry* metrics, const StaticFiles* swagger_assets) {
  AddMonitoringRoutes(router, metrics);
  router.Add(HttpMethod::kGet, "/openapi.json",
             [](const HttpRequest&) { return HttpResponse::Json(200, Http2KafkaOpenApiJson()); });
  AddSwaggerUiRoutes(router, "tokengate http2kafka", swagger_assets);
}

}  // namespace tokengate
