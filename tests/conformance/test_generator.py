"""scripts/gen_conformance.py's reading of TypeScript declarations, offline on hand-written snippets.

Why: the kept JSON is only as right as the parser that wrote it; these cases are the shapes
openapi-generator writes (optional and nullable fields, inline objects, maps, arrays, literal
unions, enum consts, intersections) and the operation table of an API file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("gen_conformance", ROOT / "scripts" / "gen_conformance.py")
assert spec is not None and spec.loader is not None
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

MODEL = """
/**
 * header
 */
import { Other } from './other';
export interface Widget {
    /**
    * The id. Only included when requested via include_fields parameter.
    * @type {number}
    */
    'id'?: number;
    'name': string;
    'parent_id'?: number | null;
    'tags'?: Array<string>;
    'shape'?: {
        'width'?: number;
        [key: string]: any;
    };
    'extra'?: { [key: string]: any | undefined; };
    'kind'?: WidgetKindConst;
    'mode'?: 'a' | 'b' | null;
    'other'?: Other;
}
export declare const WidgetKindConst: {
    readonly round: "round";
    readonly square: "square";
};
export type WidgetKindConst = typeof WidgetKindConst[keyof typeof WidgetKindConst];
export type WidgetResponse = Base & WidgetAllOf;
export type IdOrName = number | string;
"""

API_JS = """
        getWidget: (id, include_fields) => __awaiter(this, void 0, void 0, function* () {
            // verify required parameter 'id' is not null or undefined
            (0, common_1.assertParamExists)('getWidget', 'id', id);
            const localVarPath = `/widgets/{id}`
                .replace(`{${"id"}}`, encodeURIComponent(String(id)));
            const localVarRequestOptions = Object.assign({ method: 'GET' }, baseOptions);
        }),
        addWidget: (Widget) => __awaiter(this, void 0, void 0, function* () {
            const localVarPath = `/widgets`;
            const localVarRequestOptions = Object.assign({ method: 'POST' }, baseOptions);
        }),
"""
API_DTS = """
export declare class WidgetsApi extends BaseAPI {
}
export declare const WidgetsApiFp: (configuration?: Configuration) => {
    getWidget(id: number, include_fields?: 'a,b' | 'c'): Promise<(axios?: AxiosInstance, basePath?: string) => Promise<WidgetResponse>>;
    addWidget(Widget?: Widget): Promise<(axios?: AxiosInstance, basePath?: string) => Promise<WidgetResponse>>;
};
"""


def test_models_are_read_with_their_shapes(tmp_path: Path) -> None:
    (tmp_path / "widget.d.ts").write_text(MODEL, encoding="utf-8")
    models = gen.read_models(tmp_path)
    fields = models["Widget"]["fields"]
    assert fields["id"] == {"type": "number", "required": False, "include_fields_only": True}
    assert fields["name"] == {"type": "string", "required": True}
    assert fields["parent_id"] == {"type": "number", "nullable": True, "required": False}
    assert fields["tags"]["items"] == {"type": "string"}
    assert fields["shape"]["fields"]["width"]["type"] == "number"
    assert fields["extra"]["type"] == "map"
    assert fields["kind"]["ref"] == "WidgetKindConst"
    assert fields["mode"] == {"type": "enum", "values": ["a", "b"], "nullable": True, "required": False}
    assert models["WidgetKindConst"] == {"kind": "enum", "values": ["round", "square"]}
    assert models["WidgetResponse"]["kind"] == "allOf"
    assert models["IdOrName"]["kind"] == "oneOf"
    assert set(gen.closure(models, {"Widget"})) == {"Widget", "WidgetKindConst"}


def test_operations_are_read_with_method_path_query_and_body(tmp_path: Path) -> None:
    (tmp_path / "widget.d.ts").write_text(MODEL, encoding="utf-8")
    (tmp_path / "widgets-api.js").write_text(API_JS, encoding="utf-8")
    (tmp_path / "widgets-api.d.ts").write_text(API_DTS, encoding="utf-8")
    ops = {op["operation"]: op for op in gen.read_operations(tmp_path, gen.read_models(tmp_path))}
    get = ops["getWidget"]
    assert (get["method"], get["path"], get["path_params"], get["body"]) == ("GET", "/widgets/{id}", ["id"], None)
    assert get["query"]["include_fields"] == {"type": "enum", "values": ["a,b", "c"], "required": False}
    assert (ops["addWidget"]["method"], ops["addWidget"]["body"]) == ("POST", "Widget")
    assert get["api"] == "WidgetsApi" and get["response"] == "WidgetResponse"


def test_an_array_body_is_recorded_as_the_body_not_a_query_parameter(tmp_path: Path) -> None:
    """The v2 fields' options endpoints take a JSON array of objects as their whole body."""
    (tmp_path / "widget.d.ts").write_text(MODEL, encoding="utf-8")
    js = API_JS.replace("addWidget: (Widget)", "addWidgets: (Widget)")
    dts = API_DTS.replace("addWidget(Widget?: Widget)", "addWidgets(Widget: Widget[])")
    (tmp_path / "widgets-api.js").write_text(js, encoding="utf-8")
    (tmp_path / "widgets-api.d.ts").write_text(dts, encoding="utf-8")
    ops = {op["operation"]: op for op in gen.read_operations(tmp_path, gen.read_models(tmp_path))}
    assert ops["addWidgets"]["body"] == "Widget[]" and ops["addWidgets"]["query"] == {}
    assert gen.roots_of([ops["addWidgets"]]) == {"WidgetResponse", "Widget"}


def test_legacy_models_that_differ_are_renamed_with_their_references() -> None:
    """One v1 namespace for two clients: a 24.x model that differs from the current one is kept apart."""
    legacy = {"Deal": {"kind": "object", "fields": {"owner": {"type": "ref", "ref": "User", "required": False}}},
              "Child": {"kind": "object", "extends": ["User"], "fields": {}}}
    out = gen.rename_refs(legacy, {"User": "LegacyUser"})
    assert out["Deal"]["fields"]["owner"]["ref"] == "LegacyUser"
    assert out["Child"]["extends"] == ["LegacyUser"]
    assert legacy["Deal"]["fields"]["owner"]["ref"] == "User"  # the input is left as it was
