import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { useState } from "react";

/** What a column may say about itself: right-aligned numbers, and what the column means. */
export interface ColumnMeta {
  numeric?: boolean;
  /** Shown as the header's tooltip and, visibly, in the list of columns under the table. */
  description?: string;
}

const metaOf = (column: { columnDef: { meta?: unknown } }) => (column.columnDef.meta ?? {}) as ColumnMeta;

/**
 * A sortable, filterable table over TanStack's headless table: the app owns the markup.
 * Click a header (or press Enter on it) to sort; type in the box to filter every column.
 * Columns with a description explain themselves in the header's tooltip and in a list of
 * column meanings under the table (visible, so it reads on touch screens and prints).
 */
export function DataTable<Row>({ label, rows, columns, initialSort = [] }: { label: string; rows: Row[]; columns: ColumnDef<Row, unknown>[]; initialSort?: SortingState }) {
  const [sorting, setSorting] = useState<SortingState>(initialSort);
  const [filter, setFilter] = useState("");
  // TanStack's table object is not memoizable by the React Compiler, which this project does not use.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({
    data: rows,
    columns,
    state: { sorting, globalFilter: filter },
    onSortingChange: setSorting,
    onGlobalFilterChange: setFilter,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
  });
  const described = table.getAllLeafColumns().filter((column) => metaOf(column).description && typeof column.columnDef.header === "string");
  return (
    <div className="data-table-wrap">
      <input
        type="search"
        className="table-filter"
        placeholder="Filter…"
        aria-label={`Filter ${label}`}
        value={filter}
        onChange={(e) => setFilter(e.currentTarget.value)}
      />
      <div className="table-scroll"><table className="data-table" aria-label={label}>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                return (
                  <th
                    key={header.id}
                    scope="col"
                    className={metaOf(header.column).numeric ? "num sortable" : "sortable"}
                    title={metaOf(header.column).description}
                    aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
                  >
                    <button type="button" className="sort-button" onClick={header.column.getToggleSortingHandler()}>
                      {flexRender(header.column.columnDef.header, header.getContext())}
                      <span aria-hidden="true">{sorted === "asc" ? " ▲" : sorted === "desc" ? " ▼" : ""}</span>
                    </button>
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row) => (
            <tr key={row.id}>
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id} className={metaOf(cell.column).numeric ? "num" : undefined}>
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </td>
              ))}
            </tr>
          ))}
          {table.getRowModel().rows.length === 0 && (
            <tr>
              <td colSpan={columns.length} className="muted">
                Nothing matches.
              </td>
            </tr>
          )}
        </tbody>
      </table></div>
      {described.length > 0 && (
        <dl className="column-notes small" aria-label={`Columns of ${label}`}>
          {described.map((column) => (
            <div key={column.id}>
              <dt>{String(column.columnDef.header)}</dt>
              <dd>{metaOf(column).description}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}
