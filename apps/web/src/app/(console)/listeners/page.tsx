"use client";
import { resourceListPage } from "../../../components/resource-lists.tsx";

export default resourceListPage("listeners");
