/**
 * GET /docs: a small reference page served by kindred itself (no CDN, no framework), which
 * fetches /openapi.json and lists every operation with its parameters, body and answers.
 */
export const docsPageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kindred API reference</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 960px; margin: 2em auto; padding: 0 1em; color: #222; }
  h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; text-transform: capitalize; }
  details { border: 1px solid #e3e3e3; border-radius: 6px; margin: 0.5em 0; padding: 0.4em 0.8em; }
  summary { cursor: pointer; } code, pre { font: 13px ui-monospace, monospace; }
  .method { display: inline-block; min-width: 4.5em; font-weight: 700; text-transform: uppercase; }
  .get { color: #0a6b2d; } .post { color: #8a4b00; } .put, .patch { color: #004f8a; } .delete { color: #a00; }
  table { border-collapse: collapse; width: 100%; margin: 0.5em 0; } td, th { text-align: left; padding: 0.25em 0.5em; border-top: 1px solid #eee; vertical-align: top; }
  pre { background: #f6f6f6; padding: 0.6em; overflow: auto; max-height: 24em; }
</style>
</head>
<body>
<h1>kindred API reference</h1>
<p>Generated from <a href="openapi.json">openapi.json</a> (OpenAPI 3.1), which kindred builds from the schemas that validate each request.</p>
<main id="reference">Loading…</main>
<script>
(function () {
  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    (children || []).forEach(function (child) { node.append(child); });
    return node;
  }
  function describeSchema(schema) {
    if (!schema) return "";
    if (schema.enum) return schema.enum.join(" | ");
    if (schema.anyOf) return schema.anyOf.map(describeSchema).join(" or ");
    if (schema.type === "array") return "list of " + describeSchema(schema.items);
    return String(schema.type || "any");
  }
  fetch("openapi.json").then(function (response) { return response.json(); }).then(function (document_) {
    var root = document.getElementById("reference");
    root.textContent = "";
    var byTag = {};
    Object.keys(document_.paths).forEach(function (path) {
      Object.keys(document_.paths[path]).forEach(function (method) {
        var operation = document_.paths[path][method];
        (byTag[operation.tags[0]] = byTag[operation.tags[0]] || []).push({ path: path, method: method, operation: operation });
      });
    });
    Object.keys(byTag).forEach(function (tag) {
      root.append(element("h2", {}, [tag]));
      byTag[tag].forEach(function (entry) {
        var operation = entry.operation;
        var body = [element("p", {}, [operation.summary + (operation.description ? " " + operation.description : "")])];
        if (operation.parameters.length > 0) {
          var rows = operation.parameters.map(function (parameter) {
            return element("tr", {}, [element("td", {}, [element("code", {}, [parameter.name])]), element("td", {}, [parameter.in + (parameter.required ? ", required" : "")]), element("td", {}, [describeSchema(parameter.schema)]), element("td", {}, [parameter.description || ""])]);
          });
          body.push(element("table", {}, [element("tr", {}, [element("th", {}, ["parameter"]), element("th", {}, ["in"]), element("th", {}, ["type"]), element("th", {}, ["meaning"])])].concat(rows)));
        }
        if (operation.requestBody) {
          Object.keys(operation.requestBody.content).forEach(function (type) {
            body.push(element("p", {}, ["Body (" + type + "):"]), element("pre", {}, [JSON.stringify(operation.requestBody.content[type].schema, null, 2)]));
          });
        }
        body.push(element("p", {}, ["Answers: " + Object.keys(operation.responses).join(", ")]));
        root.append(element("details", { id: operation.operationId }, [element("summary", {}, [element("span", { class: "method " + entry.method }, [entry.method]), " ", element("code", {}, [entry.path])])].concat(body)));
      });
    });
  }).catch(function (error) { document.getElementById("reference").textContent = "Could not load openapi.json: " + error; });
})();
</script>
</body>
</html>
`;
