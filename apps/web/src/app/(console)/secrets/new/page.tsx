"use client";
import { resourceNewPage } from "../../../../components/resource-pages.tsx";

export default resourceNewPage("secrets");
